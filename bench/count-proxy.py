#!/usr/bin/env python3
"""bench/count-proxy.py TARGET_HOST:PORT COUNT_FILE: a TCP relay on 127.0.0.1
that appends one line to COUNT_FILE per connection it accepts, so that a
benchmark counts the connections a tool opens instead of guessing them.

Prints the port it listens on (one line) and serves until its standard input
closes. Loopback only: it refuses a target outside 127.0.0.0/8.
"""
import ipaddress
import socket
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def serve(conn, target, count_file, lock):
    with lock, open(count_file, "a") as f:
        f.write("1\n")
    try:
        upstream = socket.create_connection(target, timeout=30)
    except OSError:
        conn.close()
        return
    upstream.settimeout(None)
    a = threading.Thread(target=pump, args=(conn, upstream), daemon=True)
    b = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
    a.start()
    b.start()
    a.join()
    b.join()
    conn.close()
    upstream.close()


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit("count-proxy: loopback targets only")
    target = (host, int(port))
    count_file = sys.argv[2]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    print(listener.getsockname()[1], flush=True)
    lock = threading.Lock()

    def accept():
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn, target, count_file, lock), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__":
    main()
