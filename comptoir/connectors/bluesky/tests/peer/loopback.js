// loopback.js — node -r ./loopback.js: any listen() without a loopback host goes to 127.0.0.1
const net = require('node:net'); const LOOP = new Set(['127.0.0.1', '::1', 'localhost']);
const orig = net.Server.prototype.listen;
net.Server.prototype.listen = function (...a) {
  if (a[0] === undefined || typeof a[0] === 'function') a.unshift(0, '127.0.0.1');
  else if (typeof a[0] === 'number' || /^\d+$/.test(String(a[0]))) {
    if (typeof a[1] === 'string') { if (!LOOP.has(a[1])) a[1] = '127.0.0.1'; } else a.splice(1, 0, '127.0.0.1');
  } else if (a[0] && typeof a[0] === 'object' && a[0].path === undefined && a[0].fd === undefined
             && !('_handle' in a[0]) && !LOOP.has(a[0].host)) a[0] = { ...a[0], host: '127.0.0.1' };
  return orig.apply(this, a);
};
