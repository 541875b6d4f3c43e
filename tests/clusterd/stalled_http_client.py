#!/usr/bin/env python3
"""An HTTP client that never finishes its request (metrics_test.sh): connects
to 127.0.0.1:PORT, sends a request line and one header but never the blank
line that ends the head, and holds the connection for 4 s.
  stalled_http_client.py PORT
"""
import socket
import sys
import time

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never the blank line
time.sleep(4)
