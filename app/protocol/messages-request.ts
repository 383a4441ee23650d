/**
 * Validation of an Anthropic Messages request. Only what the translators rely on is checked;
 * unknown fields and new betas pass through (Claude Code adds some every month). A violation
 * becomes a 400 naming the field path, as Anthropic's own errors do.
 */
import { z } from 'zod';

const cacheControl = z.unknown().optional();

const textBlock = z.looseObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControl,
});

const base64Source = z.looseObject({
  type: z.literal('base64'),
  media_type: z.string(),
  data: z.string(),
});
const urlSource = z.looseObject({ type: z.literal('url'), url: z.string() });
const textSource = z.looseObject({
  type: z.literal('text'),
  media_type: z.string().optional(),
  data: z.string(),
});

const imageBlock = z.looseObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [base64Source, urlSource]),
});

const documentBlock = z.looseObject({
  type: z.literal('document'),
  source: z.discriminatedUnion('type', [base64Source, urlSource, textSource]),
  title: z.string().nullish(),
});

const toolResultContent = z.union([
  z.string(),
  z.array(
    z.union([
      textBlock,
      imageBlock,
      documentBlock,
      // Other parts (search results, future kinds): the translators send the words they carry.
      z.looseObject({ type: z.string() }),
    ]),
  ),
]);

const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});

const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: toolResultContent.optional(),
  is_error: z.boolean().optional(),
});

const thinkingBlock = z.looseObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string(),
});
const redactedThinkingBlock = z.looseObject({
  type: z.literal('redacted_thinking'),
  data: z.string(),
});

const knownBlocks = {
  text: textBlock,
  image: imageBlock,
  document: documentBlock,
  tool_use: toolUseBlock,
  tool_result: toolResultBlock,
  thinking: thinkingBlock,
  redacted_thinking: redactedThinkingBlock,
} as const;

export type TextBlockParam = z.infer<typeof textBlock>;
export type ImageBlockParam = z.infer<typeof imageBlock>;
export type DocumentBlockParam = z.infer<typeof documentBlock>;
export type ToolUseBlockParam = z.infer<typeof toolUseBlock>;
export type ToolResultBlockParam = z.infer<typeof toolResultBlock>;
export type ThinkingBlockParam = z.infer<typeof thinkingBlock>;
export type RedactedThinkingBlockParam = z.infer<typeof redactedThinkingBlock>;
/** A block type Parley does not know (server tool results, future kinds): dropped with a note. */
export interface UnknownBlockParam {
  type: string;
  [key: string]: unknown;
}
export type ContentBlockParam =
  | TextBlockParam
  | ImageBlockParam
  | DocumentBlockParam
  | ToolUseBlockParam
  | ToolResultBlockParam
  | ThinkingBlockParam
  | RedactedThinkingBlockParam;

/** Known block types are validated in full; unknown ones only need a `type`. */
const contentBlock = z.looseObject({ type: z.string() }).superRefine((block, ctx) => {
  const schema = (knownBlocks as Record<string, z.ZodType | undefined>)[block.type];
  if (!schema) return;
  const result = schema.safeParse(block);
  if (result.success) return;
  for (const issue of result.error.issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  }
});

const message = z.looseObject({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlock)]),
});

const customTool = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
  type: z.union([z.literal('custom'), z.null()]).optional(),
});
/** Anthropic server tools (`web_search_20250305`, `bash_20250124`, …): typed, no input_schema. */
const serverTool = z.looseObject({ type: z.string(), name: z.string() });

const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({
    type: z.literal('tool'),
    name: z.string().min(1),
    disable_parallel_tool_use: z.boolean().optional(),
  }),
  z.looseObject({ type: z.literal('none') }),
]);

const thinking = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('enabled'), budget_tokens: z.number().int().min(0) }),
  z.looseObject({ type: z.literal('disabled') }),
  z.looseObject({ type: z.literal('adaptive') }),
]);

const messagesFields = {
  model: z.string().min(1),
  messages: z.array(message),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(z.union([customTool, serverTool])).optional(),
  tool_choice: toolChoice.optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  thinking: thinking.optional(),
  output_config: z.looseObject({ effort: z.string().optional() }).optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
};

export const messagesRequestSchema = z.looseObject({
  ...messagesFields,
  max_tokens: z.number().int().min(1),
});
export const countTokensRequestSchema = z.looseObject(messagesFields);

/** The typed view of a validated request (unknown fields are kept but not typed). */
type TypedShape = ReturnType<typeof z.object<typeof messagesFields>>;
export type MessagesRequest = Omit<z.infer<TypedShape>, 'messages'> & {
  max_tokens: number;
  messages: MessageParam[];
};
export type CountTokensRequest = Omit<MessagesRequest, 'max_tokens'>;
export interface MessageParam {
  role: 'user' | 'assistant' | 'system';
  content: string | (ContentBlockParam | UnknownBlockParam)[];
}
export type ToolParam = z.infer<typeof customTool> | z.infer<typeof serverTool>;

export type Validation<T> = { ok: true; value: T } | { ok: false; message: string };

/** Validates a request body; on failure, one message naming the first bad field's path. */
export function validateMessagesRequest(body: unknown): Validation<MessagesRequest> {
  return validate(messagesRequestSchema, body);
}

/** count_tokens takes the same body without max_tokens (Claude Code sends model, messages, tools). */
export function validateCountTokensRequest(body: unknown): Validation<CountTokensRequest> {
  return validate(countTokensRequestSchema, body);
}

function validate<T>(schema: z.ZodType, body: unknown): Validation<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'The request body must be a JSON object.' };
  }
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data as T };
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  return {
    ok: false,
    message: `${path === '' ? 'request' : path}: ${issue?.message ?? 'invalid'}`,
  };
}
