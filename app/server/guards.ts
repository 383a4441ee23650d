/**
 * Request guards, in the order the server runs them: Host (DNS rebinding), Origin (browsers),
 * proxy key. Every refusal is an Anthropic-shaped error whose message says what to fix, because
 * Claude Code shows it verbatim (and retries a 401 ten times before it does).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { isLoopbackHost } from '../config/loopback.ts';
import { sendError } from './send-error.ts';

export interface HostGuardOptions {
  /** The address the server is bound to; a non-loopback bind may be named in Host. */
  readonly boundHost: string;
  readonly allowedHosts: readonly string[];
  /** The port the server listens on (known once listening, for port 0). */
  readonly boundPort: () => number;
}

/**
 * Refuses a Host header that names anything but this machine on Parley's own port (DNS
 * rebinding: a foreign name that resolves to 127.0.0.1 still carries that foreign name).
 */
export function hostGuard({
  boundHost,
  allowedHosts,
  boundPort,
}: HostGuardOptions): RequestHandler {
  const allowed = new Set([boundHost, ...allowedHosts].map((name) => name.toLowerCase()));
  return (req, res, next) => {
    const host = parseHost(req.headers.host);
    const nameOk = host !== undefined && (isLoopbackHost(host.name) || allowed.has(host.name));
    if (nameOk && host.port === boundPort()) {
      next();
      return;
    }
    sendError(
      res,
      'permission_error',
      `Host "${req.headers.host ?? ''}" is not allowed: Parley answers only requests addressed to this machine (localhost or 127.0.0.1) on its port ${boundPort()}. Add the name to "allowedHosts" in the settings if you really mean it.`,
    );
  };
}

/**
 * Browsers send Origin; Claude Code and the SDKs do not. A web page must never reach the proxy,
 * except Parley's own inspector page, which it serves itself: same origin, so its Origin is
 * exactly `http://` and the Host this request was addressed to (which the host guard checked).
 */
export function originGuard(): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (
      origin === undefined ||
      origin.toLowerCase() === `http://${req.headers.host ?? ''}`.toLowerCase()
    ) {
      next();
      return;
    }
    sendError(
      res,
      'permission_error',
      'Requests from web pages are refused: Parley holds your upstream API key, so only local clients such as Claude Code and the Anthropic SDKs may call it.',
    );
  };
}

/** What a request gets when the upstream it goes to has no key in Parley's environment. */
export function missingUpstreamKeyMessage(
  keyEnv: string,
  route?: { readonly provider: string; readonly rule: string; readonly model: string },
): string {
  const whose = route
    ? `no key for provider "${route.provider}", where ${route.rule} sends ${route.model}`
    : 'no upstream API key';
  return `Parley has ${whose}: set ${keyEnv} in the environment of "parley serve" and restart it.`;
}

export interface AuthGuardOptions {
  readonly proxyKey: string;
  readonly settingsPath: string;
}

/** Requires the proxy key as `x-api-key` or `Authorization: Bearer`. */
export function authGuard({ proxyKey, settingsPath }: AuthGuardOptions): RequestHandler {
  const expected = digest(proxyKey);
  const whereToFind = `Use the key "parley serve" printed at start-up (stored as "proxyKey" in ${settingsPath}): export ANTHROPIC_AUTH_TOKEN=<that key>.`;
  return (req, res, next) => {
    const presented = presentedKey(req.headers['x-api-key'], req.headers.authorization);
    if (presented === undefined) {
      sendError(
        res,
        'authentication_error',
        `Missing Parley proxy key: send it as x-api-key or "Authorization: Bearer". ${whereToFind}`,
      );
      return;
    }
    // Compare fixed-length digests so neither length nor content leaks through timing.
    if (timingSafeEqual(digest(presented), expected)) {
      next();
      return;
    }
    sendError(
      res,
      'authentication_error',
      `Wrong Parley proxy key${hintFor(presented)}. ${whereToFind}`,
    );
  };
}

function presentedKey(
  apiKeyHeader: string | string[] | undefined,
  authorization: string | undefined,
): string | undefined {
  const apiKey = Array.isArray(apiKeyHeader) ? apiKeyHeader[0] : apiKeyHeader;
  if (apiKey !== undefined && apiKey.trim() !== '') return apiKey.trim();
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
  return bearer === undefined || bearer === '' ? undefined : bearer;
}

function hintFor(presented: string): string {
  if (presented.startsWith('sk-ant-')) return " (that is an Anthropic API key, not Parley's key)";
  if (presented.startsWith('sk-'))
    return ' (that looks like an OpenAI API key, which belongs in OPENAI_API_KEY of "parley serve", not in the client)';
  return '';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The name and port a Host header names (no port means 80, as for any http URL). */
function parseHost(hostHeader: string | undefined): { name: string; port: number } | undefined {
  if (hostHeader === undefined || hostHeader === '') return undefined;
  if (!URL.canParse(`http://${hostHeader}`)) return undefined;
  const url = new URL(`http://${hostHeader}`);
  return {
    name: url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase(),
    port: url.port === '' ? 80 : Number(url.port),
  };
}
