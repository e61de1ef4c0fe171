/**
 * The TypeScript half of the compat-parity snapshot: what the declarations
 * say about each export — the option keys its options bags accept, its public
 * methods and theirs — read with the compiler API from the source files, so a
 * key added to `MapOptions` shows up without anyone listing it.
 *
 * An "options bag" is a parameter (or tuple element of a rest parameter) whose
 * type, or a member of its union/intersection, is an object type named
 * `…Options` or an anonymous object literal with only optional properties.
 */
import { resolve } from "node:path";
import ts from "typescript";

/** What the declarations of one exported value say. */
export interface Declared {
  /** Parameter names of the longest call/construct signature (for natives, whose source is hidden). */
  params: string[];
  /** Sorted union of the option keys of every call/construct signature. */
  options: string[];
  /** Public instance methods (classes only), each with its parameter names and sorted option keys. */
  methods: Record<string, DeclaredMethod> | null;
}

/** A method as declared: parameters for when the runtime has no body to read (abstract methods). */
export interface DeclaredMethod {
  params: string[];
  options: string[];
}

/** Per source file (as given), per export name. */
export type Declarations = Map<string, Map<string, Declared>>;

/**
 * Read the declarations of `sources` (paths relative to `root`) with the
 * compiler options of `root/tsconfig.json`.
 */
export function readDeclarations(root: string, sources: readonly string[]): Declarations {
  const config = ts.readConfigFile(resolve(root, "tsconfig.json"), ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const files = sources.map((source) => resolve(root, source));
  const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const result: Declarations = new Map();
  sources.forEach((source, i) => {
    const file = program.getSourceFile(files[i]);
    if (!file) throw new Error(`TypeScript could not read ${source}`);
    result.set(source, readModule(checker, file));
  });
  return result;
}

function readModule(checker: ts.TypeChecker, file: ts.SourceFile): Map<string, Declared> {
  const exports = new Map<string, Declared>();
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (!moduleSymbol) return exports;
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (!(target.flags & ts.SymbolFlags.Value)) continue;
    exports.set(symbol.getName(), readValue(checker, checker.getTypeOfSymbol(target)));
  }
  return exports;
}

function readValue(checker: ts.TypeChecker, type: ts.Type): Declared {
  const calls = checker.getSignaturesOfType(type, ts.SignatureKind.Call);
  const constructs = checker.getSignaturesOfType(type, ts.SignatureKind.Construct);
  const signatures = constructs.length > 0 ? constructs : calls;
  return {
    params: longestParams(signatures),
    options: signatureOptions(checker, signatures),
    methods: constructs.length > 0 ? instanceMethods(checker, constructs) : null,
  };
}

/** The parameter names of the signature with the most parameters (the first such, in declaration order). */
function longestParams(signatures: readonly ts.Signature[]): string[] {
  const longest = signatures.reduce<ts.Signature | null>(
    (best, s) => (best === null || s.getParameters().length > best.getParameters().length ? s : best),
    null,
  );
  return longest ? longest.getParameters().map((p) => (isRest(p) ? `...${p.getName()}` : p.getName())) : [];
}

function isRest(parameter: ts.Symbol): boolean {
  const declaration = parameter.valueDeclaration;
  return declaration !== undefined && ts.isParameter(declaration) && declaration.dotDotDotToken !== undefined;
}

function signatureOptions(checker: ts.TypeChecker, signatures: readonly ts.Signature[]): string[] {
  const keys = new Set<string>();
  for (const signature of signatures) {
    for (const parameter of signature.getParameters()) {
      for (const key of optionKeys(checker, checker.getTypeOfSymbol(parameter), 0)) keys.add(key);
    }
  }
  return [...keys].sort();
}

/** The option keys `type` accepts when it is (or contains) an options bag; tuples are opened. */
function optionKeys(checker: ts.TypeChecker, type: ts.Type, depth: number): string[] {
  if (depth > 4) return [];
  if (type.flags & ts.TypeFlags.TypeParameter) {
    const constraint = checker.getBaseConstraintOfType(type);
    return constraint ? optionKeys(checker, constraint, depth + 1) : [];
  }
  if (type.isUnion()) return type.types.flatMap((member) => optionKeys(checker, member, depth + 1));
  if (checker.isTupleType(type)) {
    return checker.getTypeArguments(type as ts.TypeReference).flatMap((t) => optionKeys(checker, t, depth + 1));
  }
  if (checker.isArrayType(type)) return [];
  if (!isOptionsBag(checker, type)) return [];
  return checker.getPropertiesOfType(type).map((p) => p.getName());
}

function isOptionsBag(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.isIntersection()) return type.types.some((member) => isOptionsBag(checker, member));
  if (!(type.flags & ts.TypeFlags.Object)) return false;
  if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length > 0) return false;
  if (checker.getSignaturesOfType(type, ts.SignatureKind.Construct).length > 0) return false;
  const name = (type.aliasSymbol ?? type.getSymbol())?.getName() ?? "";
  if (/Options$/.test(name)) return true;
  const literal = name === "__type" || name === "__object";
  return literal && checker.getPropertiesOfType(type).every((p) => (p.flags & ts.SymbolFlags.Optional) !== 0);
}

function instanceMethods(
  checker: ts.TypeChecker,
  constructs: readonly ts.Signature[],
): Record<string, DeclaredMethod> {
  const methods = new Map<string, { params: string[]; options: Set<string> }>();
  for (const signature of constructs) {
    const instance = checker.getReturnTypeOfSignature(signature);
    for (const property of checker.getPropertiesOfType(instance)) {
      const name = memberName(property);
      if (!(property.flags & ts.SymbolFlags.Method) || name === null || !isPublic(property)) continue;
      const calls = checker.getSignaturesOfType(checker.getTypeOfSymbol(property), ts.SignatureKind.Call);
      const method = methods.get(name) ?? { params: longestParams(calls), options: new Set<string>() };
      for (const key of signatureOptions(checker, calls)) method.options.add(key);
      methods.set(name, method);
    }
  }
  const sorted: Record<string, DeclaredMethod> = {};
  for (const name of [...methods.keys()].sort()) {
    const { params, options } = methods.get(name)!;
    sorted[name] = { params, options: [...options].sort() };
  }
  return sorted;
}

function isPublic(property: ts.Symbol): boolean {
  if (property.getName().startsWith("__#")) return false;
  return (property.getDeclarations() ?? []).every((declaration) => {
    if (ts.isPropertyAccessExpression(declaration)) return true;
    const named = declaration as ts.NamedDeclaration;
    if (named.name && ts.isPrivateIdentifier(named.name)) return false;
    const flags = ts.getCombinedModifierFlags(declaration);
    return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
  });
}

/**
 * A member's name: `[Symbol.asyncDispose]` for a well-known symbol key;
 * `null` for a key that is some module's own `unique symbol` (an internal
 * protocol between unirun's modules, not API).
 */
function memberName(property: ts.Symbol): string | null {
  const name = property.getName();
  if (!name.startsWith("__@")) return name;
  for (const declaration of property.getDeclarations() ?? []) {
    const key = (declaration as ts.NamedDeclaration).name;
    if (key && ts.isComputedPropertyName(key) && ts.isPropertyAccessExpression(key.expression)) {
      const { expression, name: member } = key.expression;
      if (ts.isIdentifier(expression) && expression.text === "Symbol") return `[Symbol.${member.text}]`;
    }
  }
  return null;
}
