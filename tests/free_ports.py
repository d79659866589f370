"""Prints the first port BASE of START, START+STEP, ... below 60000 such that
BASE .. BASE+COUNT-1 can all be bound on 127.0.0.1 right now (the test
scripts' clusters and moto listen there). Usage: free_ports.py COUNT START STEP"""
import socket
import sys

count, start, step = (int(a) for a in sys.argv[1:4])
for base in range(start, 60000, step):
    socks = []
    try:
        for p in range(base, base + count):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", p))
        print(base)
        break
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
else:
    sys.exit("free_ports.py: no %d free ports in a row on 127.0.0.1" % count)
