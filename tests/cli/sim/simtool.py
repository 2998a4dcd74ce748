#!/usr/bin/env python3
"""simtool.py - small helpers for the upqr-sim shell tests (standard library only).

  simtool.py json FILE KEY[.KEY...]   value from a JSON file (first line)
  simtool.py field FILE KEY           value of KEY in a raw k=v&k=v response (brace-aware, not decoded)
  simtool.py form FILE KEY            value of KEY in a URL-encoded form body
  simtool.py sts FILE [form]          the string to sign of a response (or form) body: sorted, no signature
  simtool.py backend DIR STATUSES     a notification receiver on 127.0.0.1:0: prints its port, answers
                                      each POST with the next status of STATUSES (comma list, last repeats;
                                      slowNNN answers NNN after one second),
                                      stores bodies as DIR/N.body and the request paths in DIR/paths
"""
import json
import sys
import urllib.parse


def split_raw(body):
    """UnionPay's response format: split on & outside {} / [], first '='."""
    out, depth, cur = [], 0, ''
    for ch in body:
        if ch in '{[':
            depth += 1
        elif ch in '}]':
            depth -= 1
        if ch == '&' and depth == 0:
            out.append(cur)
            cur = ''
        else:
            cur += ch
    out.append(cur)
    fields = []
    for pair in out:
        k, _, v = pair.partition('=')
        fields.append((k, v))
    return fields


def load(path, form):
    data = open(path, 'rb').read().decode('utf-8')
    if form:
        return urllib.parse.parse_qsl(data, keep_blank_values=True, strict_parsing=False)
    return split_raw(data)


def backend(folder, statuses):
    import http.server
    import os
    import time
    codes = statuses.split(',')
    count = [0]

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get('Content-Length', 0))
            body = self.rfile.read(n)
            i = count[0]
            count[0] += 1
            with open(os.path.join(folder, '%d.body' % i), 'wb') as f:
                f.write(body)
            with open(os.path.join(folder, 'paths'), 'a') as f:
                f.write(self.path + '\n')
            code = codes[min(i, len(codes) - 1)]
            if code.startswith('slow'):      # slowNNN: answer NNN after one second
                time.sleep(1)
                code = code[4:]
            self.send_response(int(code))
            self.send_header('Content-Length', '2')
            self.end_headers()
            self.wfile.write(b'ok')

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(('127.0.0.1', 0), H)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


def main():
    cmd = sys.argv[1]
    if cmd == 'json':
        v = json.loads(open(sys.argv[2]).readline())
        for k in sys.argv[3].split('.'):
            v = v[int(k)] if isinstance(v, list) else v[k]
        print(v if not isinstance(v, (dict, list, bool)) else json.dumps(v))
    elif cmd in ('field', 'form'):
        for k, v in load(sys.argv[2], cmd == 'form'):
            if k == sys.argv[3]:
                sys.stdout.write(v)
                return 0
        return 1
    elif cmd == 'sts':
        fields = [(k, v) for k, v in load(sys.argv[2], len(sys.argv) > 3) if k != 'signature']
        sys.stdout.write('&'.join('%s=%s' % kv for kv in sorted(fields, key=lambda kv: kv[0].encode())))
    elif cmd == 'backend':
        backend(sys.argv[2], sys.argv[3])
    return 0


if __name__ == '__main__':
    sys.exit(main())
