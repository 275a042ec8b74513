# [block] * n: one instance repeated, so every copy shares the same weights.
def replicate(block_factory, n):
    return nn.Sequential(*[block_factory()] * n)
