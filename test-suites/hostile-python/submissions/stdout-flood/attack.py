# Hostile: writes to stdout as fast as it can, forever. The runner kills it at 64 KiB:
# output_limit; the grader stores only the first 8 KiB, with a truncation marker.
import sys

block = "y" * 65536
while True:
    sys.stdout.write(block)
