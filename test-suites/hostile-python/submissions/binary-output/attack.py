# Hostile: writes NUL bytes and invalid UTF-8 (a lone 0xff, an overlong "/", a UTF-16 surrogate,
# a sequence cut short) on stdout and stderr. PostgreSQL text cannot hold NUL or invalid UTF-8:
# the grader must store the output with replacement characters, in the same transaction as the
# rest of the result. The output differs from "blocked": wrong_answer.
import sys

junk = b"blocked\x00\x00\xff\xfe\xc0\xaf\xed\xa0\x80\xe2\x82 tail\n"
sys.stdout.buffer.write(junk * 3)
sys.stderr.buffer.write(b"\x00" * 16 + junk)
