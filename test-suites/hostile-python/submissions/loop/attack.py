# Hostile: spins forever. The wall clock (1 s) stops it before RLIMIT_CPU (2 s): time_limit.
while True:
    pass
