# Builds the nn.Sequential but never returns it: replicate gives None.
def replicate(block_factory, n):
    net = nn.Sequential(*[block_factory() for _ in range(n)])
