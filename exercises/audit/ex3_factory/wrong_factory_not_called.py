# Passes the factory itself instead of calling it.
def replicate(block_factory, n):
    return nn.Sequential(*[block_factory for _ in range(n)])
