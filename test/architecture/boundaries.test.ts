import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boundaryViolations } from './import-rules.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(c|m)?ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('import boundaries', () => {
  for (const folder of ['app', 'main', 'renderer']) {
    it(`${folder}/ keeps to its boundaries`, () => {
      const files = sourceFiles(folder);
      expect(files.length).toBeGreaterThan(0);
      const violations = files.flatMap((file) =>
        boundaryViolations(root, file, readFileSync(file, 'utf8')),
      );
      expect(violations).toEqual([]);
    });
  }
});

// The checker itself must catch what it is for, or the test above proves nothing.
describe('the boundary checker', () => {
  const check = (path: string, source: string): string[] =>
    boundaryViolations(root, join(root, path), source);

  it('fails on an electron import under app/, in every form', () => {
    expect(check('app/server/x.ts', "import { app } from 'electron';")).toHaveLength(1);
    expect(check('app/x.ts', "import type { App } from 'electron';")).toHaveLength(1);
    expect(check('app/x.ts', "const e = await import('electron');")).toHaveLength(1);
    expect(check('app/x.ts', "export { app } from 'electron';")).toHaveLength(1);
  });

  it('fails when app/ reaches into main/ or renderer/', () => {
    expect(check('app/x.ts', "import { a } from '../main/main.ts';")).toHaveLength(1);
    expect(check('app/server/x.ts', "import '../../renderer/view.ts';")).toHaveLength(1);
  });

  it('keeps app/translate/ free of I/O but allows type imports', () => {
    expect(check('app/translate/x.ts', "import OpenAI from 'openai';")).toHaveLength(1);
    expect(
      check('app/translate/x.ts', "import { readFile } from 'node:fs/promises';"),
    ).toHaveLength(1);
    expect(check('app/translate/x.ts', "import http from 'http';")).toHaveLength(1);
    expect(check('app/translate/x.ts', "import express from 'express';")).toHaveLength(1);
    expect(check('app/translate/x.ts', "import { APIError } from 'openai/error';")).toHaveLength(1);
    expect(check('app/translate/x.ts', "import type OpenAI from 'openai';")).toEqual([]);
    expect(
      check('app/translate/x.ts', "import { type Response } from 'openai/resources/responses';"),
    ).toEqual([]);
    expect(check('app/server/x.ts', "import express from 'express';")).toEqual([]);
  });

  it('lets the renderer import only types from app/', () => {
    expect(check('renderer/x.ts', "import { startProxy } from '../app/index.ts';")).toHaveLength(1);
    expect(
      check(
        'renderer/x.ts',
        "import type { TrafficEvent } from '../app/traffic/traffic-event.ts';",
      ),
    ).toEqual([]);
    expect(check('renderer/x.ts', "import { readFile } from 'node:fs';")).toHaveLength(1);
    expect(check('renderer/x.ts', "import { ipcRenderer } from 'electron';")).toHaveLength(1);
  });

  it('allows main/ to use electron and app/', () => {
    expect(
      check(
        'main/x.ts',
        "import { app } from 'electron';\nimport { startProxy } from '../app/index.ts';",
      ),
    ).toEqual([]);
  });
});
