# Off by one: range(n + 1) makes n + 1 blocks.
def replicate(block_factory, n):
    return nn.Sequential(*[block_factory() for _ in range(n + 1)])
