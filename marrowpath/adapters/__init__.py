"""What the services reach the outside world through, other than the database and the
reports: sockets (MLLP) and password hashing (Argon2id).

Each module implements a port of `marrowpath.services.ports`; the services see only the
port, and `marrowpath.bootstrap` hands them these implementations. Tests hand in fakes
(`tests/fakes.py`) or cheaper settings (`tests/hashing.py`).
"""
