# nn.Sequential.append, one fresh block per iteration.
def replicate(block_factory, n):
    net = nn.Sequential()
    while len(net) < n:
        net.append(block_factory())
    return net
