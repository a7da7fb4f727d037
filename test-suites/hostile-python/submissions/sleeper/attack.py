# Hostile: sleeps for an hour using no CPU at all. Only the wall clock can stop it: time_limit.
import time

time.sleep(3600)
print("blocked")
