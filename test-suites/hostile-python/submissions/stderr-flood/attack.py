# Hostile: the same flood on stderr (nothing on stdout): output_limit as well.
import sys

block = "e" * 65536
while True:
    sys.stderr.write(block)
