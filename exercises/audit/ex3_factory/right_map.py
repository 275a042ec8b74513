# map over range(n), calling the factory once per element.
def replicate(block_factory, n):
    return nn.Sequential(*map(lambda _: block_factory(), range(n)))
