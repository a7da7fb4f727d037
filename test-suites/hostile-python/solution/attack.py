# The reference "attacker": attempts nothing, so nothing can have worked.
print("blocked")
