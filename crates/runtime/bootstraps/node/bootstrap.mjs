// Portico's Node.js bootstrap.
//
// Portico starts this file as `node bootstrap.mjs` with the function's code folder
// as cwd. It speaks the Lambda Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API
// and gives user code the programming model of AWS's managed Node.js runtime:
// the `awslambda` global, async / callback / streaming handlers, the context
// object and the tab-separated console format. The behaviour is modelled on
// AWS's runtime; the code is Portico's own and uses Node built-ins only.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { Writable } from 'node:stream';
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';

const env = process.env;
const API = env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001';
const API_HOST = API.slice(0, API.lastIndexOf(':')) || '127.0.0.1';
const API_PORT = Number(API.slice(API.lastIndexOf(':') + 1));
const agent = new http.Agent({ keepAlive: true });
const requireFile = nodeModule.createRequire(import.meta.url);

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const ERROR_TYPE = 'Lambda-Runtime-Function-Error-Type';
const ERROR_BODY = 'Lambda-Runtime-Function-Error-Body';
const NODE_EXIT_MESSAGE = 'Node.js exited before the handler finished: the event loop ran empty ' +
  'while the handler still owed a result (often a Promise that never settles).';

// ---------- errors -------------------------------------------------------------

function runtimeError(kind, message) {
  const err = new Error(message);
  Object.defineProperty(err, 'name', { value: `Runtime.${kind}`, writable: true, configurable: true });
  return err;
}

const looksLikeError = (e) => util.types.isNativeError(e) ||
  (e && typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string');

// The JSON document the Runtime API receives: errorType, errorMessage, trace.
function errorDoc(err) {
  try {
    if (looksLikeError(err)) {
      return { errorType: err.name, errorMessage: err.message, trace: String(err.stack).split('\n') };
    }
    return { errorType: typeof err, errorMessage: String(err), trace: [] };
  } catch {
    return { errorType: 'handled', errorMessage: 'the handler reported an error whose name, message or stack could not be read', trace: [] };
  }
}

// The form written to the log: name, message, code, own enumerable fields, stack.
function formatForLog(err) {
  const e = err instanceof Error ? err : new Error(err);
  const withFields = (_k, v) => v instanceof Error
    ? { errorType: v.name, errorMessage: v.message, code: v.code, ...v,
        ...(typeof v.stack === 'string' ? { stack: v.stack.split('\n') } : {}) }
    : v;
  try { return '\t' + JSON.stringify(e, withFields); } catch { return '\t' + JSON.stringify(errorDoc(e)); }
}

// Header values must be plain visible ASCII.
const headerSafe = (s) => String(s).replace(/[^\x20-\x7e]/g, '?') || 'Unknown';

// ---------- console ------------------------------------------------------------

let currentRequestId; // printed as "undefined" before the first invoke, as AWS does
const jsonLogs = (env.AWS_LAMBDA_LOG_FORMAT || '').toUpperCase() === 'JSON';

function jsonErrorFields(e) {
  return { errorType: e?.constructor?.name ?? 'UnknownError', errorMessage: e.message,
    stackTrace: typeof e.stack === 'string' ? e.stack.split('\n') : e.stack };
}

function formatLine(level, args) {
  const timestamp = new Date().toISOString();
  if (!jsonLogs) return `${timestamp}\t${currentRequestId}\t${level}\t${util.format(...args)}\n`;
  const rec = { timestamp, level, requestId: currentRequestId };
  if (args.length === 1) {
    rec.message = args[0];
    try {
      return JSON.stringify(rec, (_k, v) => (v instanceof Error ? { ...jsonErrorFields(v), ...v } : v)) + '\n';
    } catch { rec.message = util.format(args[0]); }
  } else {
    rec.message = util.format(...args);
    const e = args.find((a) => a instanceof Error);
    if (e) Object.assign(rec, jsonErrorFields(e));
  }
  return JSON.stringify(rec) + '\n';
}

function patchConsole() {
  const order = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
  const min = Math.max(0, order.indexOf((env.AWS_LAMBDA_LOG_LEVEL || 'TRACE').toUpperCase()));
  // process.stdout.write is synchronous for files, pipes and TTYs on Linux, so a
  // line is out before the bootstrap posts the result that follows it.
  const logger = (level) => order.indexOf(level) < min && level !== 'FATAL'
    ? () => {}
    : (msg, ...rest) => { process.stdout.write(formatLine(level, [msg, ...rest])); };
  console.trace = logger('TRACE');
  console.debug = logger('DEBUG');
  console.info = console.log = logger('INFO');
  console.warn = logger('WARN');
  console.error = logger('ERROR');
  console.fatal = logger('FATAL');
}

function logError(label, err) {
  if (jsonLogs) console.error(err instanceof Error ? err : new Error(err));
  else console.error(label, formatForLog(err));
}

// ---------- Runtime API client -------------------------------------------------

function request(method, urlPath, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: API_HOST, port: API_PORT, method, path: urlPath, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function checkPosted(what, res) {
  if (res.status >= 200 && res.status < 300) return;
  process.stderr.write(`portico bootstrap: ${what} answered ${res.status}: ${res.body}\n`);
  if (res.status >= 500) process.exit(1);
}

function fatal(what, err) {
  process.stderr.write(`portico bootstrap: ${what}: ${err?.stack || err}\n`);
  process.exit(1);
}

function postJson(urlPath, payload, extraHeaders = {}) {
  const body = Buffer.from(payload);
  return request('POST', urlPath, { 'Content-Type': 'application/json', 'Content-Length': body.length, ...extraHeaders }, body)
    .then((res) => checkPosted(`POST ${urlPath}`, res), (err) => fatal(`POST ${urlPath} failed`, err));
}

function postError(urlPath, err) {
  const doc = errorDoc(err);
  return postJson(urlPath, JSON.stringify(doc), { [ERROR_TYPE]: headerSafe(doc.errorType) });
}

const invocationPath = (id, what) => `/2018-06-01/runtime/invocation/${encodeURIComponent(id)}/${what}`;

function postResult(id, result) {
  let body;
  try {
    body = JSON.stringify(result === undefined ? null : result);
  } catch {
    const err = new Error('Unable to stringify response body');
    logError('Invoke Error', err);
    return postError(invocationPath(id, 'error'), err);
  }
  return postJson(invocationPath(id, 'response'), body);
}

// ---------- the awslambda global -----------------------------------------------

class HttpResponseStream {
  // Writes the JSON prelude and 8 NUL bytes before the body (lazily, at the first
  // write) and marks the response as an HTTP integration response.
  static from(stream, prelude) {
    stream.setContentType(PRELUDE_CONTENT_TYPE);
    stream._prelude = JSON.stringify(prelude);
    return stream;
  }
}

if (env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA !== '1' && env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA !== 'true') {
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[STREAMING] = 'response';
      if (typeof options?.highWaterMark === 'number') handler[HIGH_WATER_MARK] = parseInt(options.highWaterMark);
      return handler;
    },
    HttpResponseStream,
  };
}

// ---------- loading the handler ------------------------------------------------

function packageTypeIsModule(dir) {
  for (;;) {
    if (dir.endsWith(`${path.sep}node_modules`)) return false;
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try { return JSON.parse(fs.readFileSync(pj, 'utf8'))?.type === 'module'; } catch { return false; }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

async function loadModule(root, moduleDir, moduleName) {
  const base = path.resolve(root, moduleDir, moduleName);
  const exists = (ext) => fs.existsSync(base + ext);
  const esm = packageTypeIsModule(path.dirname(base));
  // Same order as AWS: extensionless (CJS), .js (CJS or ESM per package.json),
  // .mjs, .cjs, then plain Node resolution (node_modules, folder/index.js).
  if (exists('')) return requireFile(base);
  if (exists('.js')) return esm ? import(pathToFileURL(base + '.js').href) : requireFile(base + '.js');
  if (exists('.mjs')) return import(pathToFileURL(base + '.mjs').href);
  if (exists('.cjs')) return requireFile(base + '.cjs');
  return requireFile(requireFile.resolve(moduleName, { paths: [root, moduleDir] }));
}

async function loadHandler(root, fullName) {
  if (fullName.includes('..')) {
    throw runtimeError('MalformedHandlerName', `'${fullName}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  // "dir/sub/app.handler": folder "dir/sub/", module "app", then a (possibly
  // nested, dot-separated) property path within the module.
  const leaf = path.basename(fullName);
  const moduleDir = fullName.slice(0, fullName.length - leaf.length);
  const match = /^([^.]*)\.(.*)$/.exec(leaf);
  if (!match) throw runtimeError('MalformedHandlerName', 'Bad handler');
  let mod;
  try {
    mod = await loadModule(root, moduleDir, match[1]);
  } catch (e) {
    if (e instanceof SyntaxError) {
      const err = runtimeError('UserCodeSyntaxError', String(e));
      err.stack = e.stack; // keep file:line of the syntax error
      throw err;
    }
    if (e?.code === 'MODULE_NOT_FOUND') throw runtimeError('ImportModuleError', String(e));
    throw e;
  }
  const fn = match[2].split('.').reduce((obj, key) => obj && obj[key], mod);
  if (!fn) throw runtimeError('HandlerNotFound', `${fullName} is undefined or not exported`);
  if (typeof fn !== 'function') throw runtimeError('HandlerNotFound', `${fullName} is not a function`);
  return fn;
}

// ---------- invocation helpers -------------------------------------------------

// Work to run once the event loop has nothing left to do ("beforeExit"); this is
// how callbackWaitsForEmptyEventLoop and never-finishing handlers are handled.
let onLoopEmpty = null;
process.on('beforeExit', () => { const fn = onLoopEmpty; onLoopEmpty = null; if (fn) fn(); });

const isPromise = (v) => v && typeof v.then === 'function';

function parseHeaderJson(value, name) {
  if (value === undefined) return undefined;
  try { return JSON.parse(value); } catch (e) { throw new Error(`Cannot parse ${name} as json: ${e}`); }
}

function buildContext(h, base) {
  const deadline = Number(h['lambda-runtime-deadline-ms']);
  return Object.assign(base, {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseHeaderJson(h['lambda-runtime-client-context'], 'ClientContext'),
    identity: parseHeaderJson(h['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
    invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
    awsRequestId: h['lambda-runtime-aws-request-id'],
    tenantId: h['lambda-runtime-aws-tenant-id'],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  });
}

// Buffered (classic) handlers. Resolves once the result or error has been posted.
function invokeBuffered(handler, id, headers, body) {
  return new Promise((settled) => {
    let waitForEmptyLoop = true;
    let called = false; // the first of callback/succeed/fail/done wins, as in AWS
    const once = (fn) => (...args) => { if (!called) { called = true; fn(...args); } };
    const finish = (err, result) => {
      onLoopEmpty = null;
      if (err !== undefined && err !== null) {
        logError('Invoke Error', err);
        postError(invocationPath(id, 'error'), err).then(settled);
      } else {
        postResult(id, result).then(settled);
      }
    };
    const callback = once((err, result) => {
      if ((err !== undefined && err !== null) || !waitForEmptyLoop) return finish(err, result);
      onLoopEmpty = () => setImmediate(() => finish(null, result));
    });
    const done = once((err, result) => finish(err, result));
    const base = {
      get callbackWaitsForEmptyEventLoop() { return waitForEmptyLoop; },
      set callbackWaitsForEmptyEventLoop(v) { waitForEmptyLoop = v; },
      done,
      succeed: (result) => done(null, result),
      fail: (err) => done(err === undefined || err === null ? 'handled' : err, null),
    };
    // Neither a promise nor the callback ever completed the invoke: a sync handler
    // answers null, an async one is reported as Runtime.NodeJsExit.
    const isAsync = handler.constructor?.name === 'AsyncFunction';
    onLoopEmpty = once(() => finish(isAsync ? runtimeError('NodeJsExit', NODE_EXIT_MESSAGE) : null, null));
    try {
      const result = handler(JSON.parse(body), buildContext(headers, base), callback);
      if (isPromise(result)) result.then(base.succeed, base.fail);
    } catch (err) {
      callback(err);
    }
  });
}

const toChunk = (c) => (typeof c === 'string' || c instanceof Uint8Array ? c : JSON.stringify(c));

// The Writable handed to streaming handlers. Each write goes straight to a chunked
// POST to /response; errors travel as HTTP trailers.
class ResponseStream extends Writable {
  constructor(id, highWaterMark) {
    super(highWaterMark ? { highWaterMark } : {});
    this._id = id;
    this._contentType = 'application/octet-stream';
    this._req = null;
    this._reqEnded = false;
    this._trailers = null;
    this.done = new Promise((resolve) => { this._resolveDone = resolve; });
  }

  setContentType(type) {
    if (this._req) throw runtimeError('InvalidStreamingOperation', 'Cannot set content-type, too late.');
    this._contentType = type;
  }

  // Like AWS, anything that is not a string or bytes is written as JSON.
  write(chunk, ...rest) { return super.write(toChunk(chunk), ...rest); }

  end(chunk, ...rest) {
    return typeof chunk === 'function' || chunk == null ? super.end(chunk, ...rest) : super.end(toChunk(chunk), ...rest);
  }

  _open() {
    if (this._req) return this._req;
    const req = http.request({
      host: API_HOST, port: API_PORT, method: 'POST', agent, path: invocationPath(this._id, 'response'),
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: `${ERROR_TYPE}, ${ERROR_BODY}`,
        'Content-Type': this._contentType,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        checkPosted('streaming POST /response', { status: res.statusCode, body: Buffer.concat(chunks).toString() });
        this._resolveDone();
      });
    });
    req.on('error', (err) => fatal('streaming POST /response failed', err));
    req.setNoDelay(true);
    this._req = req;
    return req;
  }

  // The prelude (if any) goes out just before the first body bytes.
  _start() {
    const req = this._open();
    if (this._prelude !== undefined && !this._preludeSent) {
      this._preludeSent = true;
      req.write(Buffer.concat([Buffer.from(this._prelude), Buffer.alloc(8)]));
    }
    return req;
  }

  _write(chunk, _encoding, cb) { this._start().write(chunk, cb); }

  _final(cb) { this._endRequest(cb); }

  _destroy(err, cb) { cb(err); } // the request is finished by fail() or never opened

  _endRequest(cb = () => {}) {
    if (this._reqEnded) return cb();
    this._reqEnded = true;
    const req = this._trailers ? this._open() : this._start();
    if (this._trailers) req.addTrailers(this._trailers);
    req.end(cb);
  }

  // End the response with the error in the trailers (after what was written).
  fail(err) {
    const doc = errorDoc(err);
    this._trailers = { [ERROR_TYPE]: headerSafe(doc.errorType), [ERROR_BODY]: Buffer.from(JSON.stringify(doc)).toString('base64') };
    if (this.destroyed) this._endRequest();
    else if (!this.writableEnded) this.end();
    return this.done; // if the stream had already ended, the trailers come too late
  }
}

async function invokeStreaming(handler, id, headers, body) {
  let waitForEmptyLoop = true;
  const stream = new ResponseStream(id, handler[HIGH_WATER_MARK]);
  const base = {
    get callbackWaitsForEmptyEventLoop() { return waitForEmptyLoop; },
    set callbackWaitsForEmptyEventLoop(v) { waitForEmptyLoop = v; },
  };
  try {
    const result = handler(JSON.parse(body), stream, buildContext(headers, base));
    if (!isPromise(result)) throw 'Streaming does not support non-async handlers.';
    if ((await result) !== undefined) console.warn('Streaming handlers ignore return values.');
    if (!stream.writableEnded && !stream.destroyed) {
      // Allow a stream the handler left to finish on its own (e.g. an un-awaited pipeline).
      await new Promise((resolve, reject) => {
        stream.once('finish', resolve).once('close', resolve);
        onLoopEmpty = () => reject('Response stream is not finished.');
      });
      onLoopEmpty = null;
    }
    if (!stream.writableEnded) throw 'Response stream is not finished.';
    await stream.done;
  } catch (err) {
    onLoopEmpty = null;
    logError('Invoke Error', err);
    await stream.fail(err);
  }
  if (waitForEmptyLoop) await new Promise((resolve) => { onLoopEmpty = () => setImmediate(resolve); });
}

// ---------- main ---------------------------------------------------------------

let phase = 'init';
let activeId = null;

function crash(label, err, code) {
  logError(label, err);
  const exit = () => process.exit(code);
  if (phase === 'init') postError('/2018-06-01/runtime/init/error', err).then(exit, exit);
  else if (activeId) postError(invocationPath(activeId, 'error'), err).then(exit, exit);
  else exit();
}

process.on('uncaughtException', (err) => crash('Uncaught Exception', err, 129));
process.on('unhandledRejection', (reason) => {
  const err = runtimeError('UnhandledPromiseRejection', reason?.toString());
  err.reason = reason;
  crash('Unhandled Promise Rejection', err, 128);
});

// ES modules do not read NODE_PATH, yet on Lambda a bare `import` that the function's own
// node_modules lack is found in its layers (/opt/nodejs/node_modules) and in the packages
// the runtime ships. This resolve hook does the same with NODE_PATH's folders, tried in order
// after Node's own resolution fails.
const NODE_PATH_HOOK = `
import path from 'node:path';
import { pathToFileURL } from 'node:url';
let folders = [];
export async function initialize(data) { folders = data.folders; }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const bare = !/^(\\.|\\/|[a-z]+:)/.test(specifier);
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !bare) throw error;
    for (const folder of folders) {
      const parentURL = pathToFileURL(path.join(folder, '..', 'portico-layer.mjs')).href;
      try { return await next(specifier, { ...context, parentURL }); } catch {}
    }
    throw error;
  }
}`;

function resolveImportsFromNodePath() {
  const folders = (env.NODE_PATH || '').split(':').filter(Boolean);
  if (folders.length === 0 || typeof nodeModule.register !== 'function') return;
  nodeModule.register('data:text/javascript,' + encodeURIComponent(NODE_PATH_HOOK), { data: { folders } });
}

async function main() {
  patchConsole();
  resolveImportsFromNodePath();
  const handler = await loadHandler(env.LAMBDA_TASK_ROOT || process.cwd(), env._HANDLER || '');
  const streaming = handler[STREAMING] === 'response';
  if (handler[STREAMING] && !streaming) throw runtimeError('MalformedStreamingHandler', 'Only response streaming is supported.');
  phase = 'invoke';
  for (;;) {
    let next;
    try {
      next = await request('GET', '/2018-06-01/runtime/invocation/next', {});
    } catch (err) {
      fatal('GET /next failed', err);
    }
    if (next.status !== 200) fatal('GET /next', `status ${next.status}: ${next.body}`);
    const h = next.headers;
    activeId = currentRequestId = h['lambda-runtime-aws-request-id'];
    if (h['lambda-runtime-trace-id']) env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
    else delete env._X_AMZN_TRACE_ID;
    await (streaming ? invokeStreaming : invokeBuffered)(handler, activeId, h, next.body);
    activeId = null;
  }
}

main().catch((err) => crash('Uncaught Exception', err, 129));
