# Returns a Python list of blocks instead of a network.
def replicate(block_factory, n):
    return [block_factory() for _ in range(n)]
