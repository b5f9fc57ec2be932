"""bench/run --card: runs tests/fixtures/vcard.py unchanged, with TCP_QUICKACK re-armed after
every recv, so the Python side ACKs at once and vpcd's next segment is not held back by the
delayed ACK (about 45 ms per APDU otherwise; bench/README.md).

    python3 vcard_quickack.py PATH/TO/vcard.py [vcard.py arguments]
"""
import runpy
import socket
import sys

_recv = socket.socket.recv


def _recv_quickack(self, *args):
    data = _recv(self, *args)
    try:
        self.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    except OSError:
        pass
    return data


socket.socket.recv = _recv_quickack
path = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(path, run_name="__main__")
