// A V8 code cache for the CommonJS modules the CLI loads (the Temporal client, gRPC, protobufjs,
// zod, undici, …: about 270 files and 3.5 MB for `phoenix status`), as v8-compile-cache does and
// as Node 22's module.enableCompileCache does (Node 20 has no such thing). Compiling them is a large
// part of every command's start; with the cache V8 takes their bytecode instead of parsing again.
//
// The cache is written once, when the CLI is compiled (`npm run build`, `npm ci`): a process loads
// every command module and saves what V8 compiled. At run time it is only read. An entry is used
// only while its file has the same size, inode and change time (ctime, which no write or copy
// keeps) as when it was recorded, so an edited or reinstalled package is compiled from its
// source. V8 itself refuses an entry made by another Node version or with other V8 flags.
import Module from 'node:module';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const DYNAMIC_IMPORT = /\bimport\s*\(/;

/** Modules compiled from the cache (`hits`), refused by V8 (`rejected`), or compiled from source (`misses`). */
const stats = { hits: 0, rejected: 0, misses: 0 };

/** How the cache has served this process so far. */
export function codeCacheStats() {
  return { ...stats };
}

/** What identifies a file's content without reading it: size, inode and change time. */
function fileKey(filename) {
  const s = statSync(filename, { bigint: true });
  return `${s.size}:${s.ino}:${s.ctimeNs}`;
}

/** `require` as Node gives it to a CommonJS module. */
function makeRequire(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/**
 * Compiles CommonJS modules through `vm.Script` with `cachedDataFor(filename)`, and hands each
 * compiled script to `compiled`. Anything it does not handle (ES modules, hashbang files, packages
 * with a dynamic import, code that is not CommonJS syntax) goes to Node's own compile. The CLI's
 * own file has no dynamic import (compiled.mjs turns them into requires).
 */
function install(cachedDataFor, compiled) {
  const original = Module.prototype._compile;
  Module.prototype._compile = function compileWithCache(content, filename, format) {
    // Code compiled here cannot import() (Node 20 loses the callback with a code cache, and without
    // one the only callback there is warns as experimental): a package that does is left to Node.
    if (
      format === 'module' ||
      content.startsWith('#!') ||
      (filename.includes(NODE_MODULES) && DYNAMIC_IMPORT.test(content))
    )
      return original.call(this, content, filename, format);
    const cachedData = cachedDataFor(filename);
    let script;
    try {
      script = new vm.Script(Module.wrap(content), {
        filename,
        cachedData,
      });
    } catch {
      // ES module syntax in a .js file Node would detect, or a real syntax error: Node says which.
      return original.call(this, content, filename, format);
    }
    if (!cachedData) stats.misses++;
    else if (script.cachedDataRejected) stats.rejected++;
    else stats.hits++;
    compiled?.(filename, script);
    const fn = script.runInThisContext({ displayErrors: true });
    return Reflect.apply(fn, this.exports, [this.exports, makeRequire(this), this, filename, path.dirname(filename)]);
  };
}

/**
 * Uses the cache in `file` for the rest of the process, when there is one for this Node version.
 * `PHOENIX_CODE_CACHE=off` turns it off. Returns whether it is in use.
 */
export function useCodeCache(file) {
  if (process.env.PHOENIX_CODE_CACHE === 'off') return false;
  let blob;
  try {
    blob = readFileSync(file);
  } catch {
    return false;
  }
  const indexLength = blob.readUInt32LE(0);
  const index = JSON.parse(blob.toString('utf8', 4, 4 + indexLength));
  if (index.node !== process.version || index.arch !== process.arch) return false;
  const base = 4 + indexLength;
  install((filename) => {
    const e = index.entries[filename];
    if (!e) return undefined;
    try {
      if (fileKey(filename) !== e.key) return undefined;
    } catch {
      return undefined;
    }
    return blob.subarray(base + e.offset, base + e.offset + e.length);
  });
  return true;
}

/**
 * Records every CommonJS module compiled from now on; `save()` writes what V8 has compiled of
 * them (the functions that ran by then included) to `file`.
 */
export function recordCodeCache(file) {
  const scripts = [];
  install(
    () => undefined,
    (filename, script) => scripts.push({ filename, script }),
  );
  return {
    save() {
      const entries = {};
      const chunks = [];
      let offset = 0;
      for (const { filename, script } of scripts) {
        const data = script.createCachedData();
        entries[filename] = { key: fileKey(filename), offset, length: data.length };
        chunks.push(data);
        offset += data.length;
      }
      const index = Buffer.from(JSON.stringify({ node: process.version, arch: process.arch, entries }));
      const head = Buffer.alloc(4);
      head.writeUInt32LE(index.length, 0);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([head, index, ...chunks]));
      renameSync(tmp, file);
      return { modules: scripts.length, bytes: offset };
    },
  };
}
