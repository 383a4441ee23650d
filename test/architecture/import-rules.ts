/**
 * The import boundaries of DESIGN.md, checked by reading the source with TypeScript's parser
 * (so type-only imports, re-exports and dynamic imports are told apart correctly).
 */
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface ImportUse {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

export function importsOf(fileName: string, source: string): ImportUse[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const uses: ImportUse[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      uses.push({ specifier: node.moduleSpecifier.text, typeOnly: isTypeOnlyImport(node) });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      uses.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node)) {
      const [argument] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImport || isRequire) && argument && ts.isStringLiteralLike(argument)) {
        uses.push({ specifier: argument.text, typeOnly: false });
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) uses.push({ specifier: literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return uses;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // a side-effect import runs code
  if (clause.phaseModifier === ts.SyntaxKind.TypeKeyword) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  );
}

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const ioPackages = new Set(['express', 'openai', 'electron', 'electron-store']);

/** `openai/resources/x` -> `openai`; `@scope/name/x` -> `@scope/name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Which top-level folder of the repo a relative import lands in, if any. */
function targetFolder(root: string, fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(root, resolve(dirname(fromFile), specifier));
  return target.split(sep)[0];
}

/** Violations of the boundary rules for one file (path absolute, under `root`). */
export function boundaryViolations(root: string, file: string, source: string): string[] {
  const area = relative(root, file).split(sep);
  const where = relative(root, file);
  const violations: string[] = [];
  for (const use of importsOf(file, source)) {
    const folder = targetFolder(root, file, use.specifier);
    const say = (rule: string): void => {
      violations.push(`${where}: imports "${use.specifier}" — ${rule}`);
    };
    if (area[0] === 'app') {
      if (use.specifier === 'electron' || use.specifier.startsWith('electron/')) {
        say('app/ must not import electron');
      }
      if (folder === 'main' || folder === 'renderer') say(`app/ must not import ${folder}/`);
      if (area[1] === 'translate' && !use.typeOnly) {
        if (builtins.has(use.specifier) || ioPackages.has(packageName(use.specifier))) {
          say('app/translate/ is pure: no I/O modules at run time');
        }
      }
    }
    if (area[0] === 'renderer') {
      if (use.specifier === 'electron' || builtins.has(use.specifier)) {
        say('renderer/ is browser code: no electron, no Node modules');
      }
      if ((folder === 'app' || folder === 'main') && !use.typeOnly) {
        say(`renderer/ may import only types from ${folder}/`);
      }
    }
  }
  return violations;
}
