'use strict';
// fcgi.js -- the few FastCGI records a web server sends for one request
// (BEGIN_REQUEST, PARAMS, an empty STDIN) and a reader of the answer, so a
// test can talk to the API workers' socket directly, as lighttpd does.
const net = require('node:net');

const VERSION = 1;
const BEGIN_REQUEST = 1;
const END_REQUEST = 3;
const PARAMS = 4;
const STDIN = 5;
const STDOUT = 6;
const RESPONDER = 1;

function record(type, content) {
  const head = Buffer.alloc(8);
  head.writeUInt8(VERSION, 0);
  head.writeUInt8(type, 1);
  head.writeUInt16BE(1, 2);              // request id 1: one request a connection
  head.writeUInt16BE(content.length, 4);
  return Buffer.concat([head, content]);
}

function nameValue(name, value) {
  const len = (n) => (n < 128 ? Buffer.from([n]) : Buffer.from([(n >>> 24) | 0x80, n >>> 16 & 255, n >>> 8 & 255, n & 255]));
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  return Buffer.concat([len(n.length), len(v.length), n, v]);
}

// The bytes of a bodiless request for `method` `uri`.
function requestBytes(method, uri) {
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(RESPONDER, 0);
  const params = Buffer.concat([
    nameValue('REQUEST_METHOD', method),
    nameValue('REQUEST_URI', uri),
    nameValue('SCRIPT_NAME', uri.split('?')[0]),
    nameValue('SERVER_PROTOCOL', 'HTTP/1.1'),
    nameValue('REMOTE_ADDR', '127.0.0.1'),
  ]);
  return Buffer.concat([record(BEGIN_REQUEST, begin), record(PARAMS, params),
                        record(PARAMS, Buffer.alloc(0)), record(STDIN, Buffer.alloc(0))]);
}

// Reads the answer on `sock` until END_REQUEST or the end of the stream:
// { status, headers, body, ended } (ended: END_REQUEST arrived).  Rejects
// after `ms`.
function readAnswer(sock, ms = 10000) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let out = Buffer.alloc(0);
    let ended = false;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no FastCGI answer in ${ms} ms`)); }, ms);
    const finish = () => {
      clearTimeout(timer);
      const text = out.toString('utf8');
      const cut = text.indexOf('\r\n\r\n');
      const head = cut < 0 ? text : text.slice(0, cut);
      const m = /^Status:\s*(\d+)/mi.exec(head);
      resolve({ status: m ? Number(m[1]) : (out.length ? 200 : 0), head,
                body: cut < 0 ? '' : text.slice(cut + 4), ended });
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8) {
        const clen = buf.readUInt16BE(4);
        const total = 8 + clen + buf.readUInt8(6);
        if (buf.length < total) break;
        const type = buf.readUInt8(1);
        if (type === STDOUT) out = Buffer.concat([out, buf.subarray(8, 8 + clen)]);
        if (type === END_REQUEST) ended = true;
        buf = buf.subarray(total);
      }
      if (ended) { sock.end(); }
    });
    sock.on('error', () => {});
    sock.on('close', finish);
  });
}

function connect(socketPath) {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath, () => resolve(s));
    s.once('error', reject);
  });
}

// One request on a new connection: { status, head, body, ended }.
async function request(socketPath, method, uri, ms) {
  const s = await connect(socketPath);
  const answer = readAnswer(s, ms);
  s.write(requestBytes(method, uri));
  return answer;
}

module.exports = { connect, requestBytes, readAnswer, request };
