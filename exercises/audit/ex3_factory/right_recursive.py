# Recursive: n - 1 copies, then one more; the factory still runs once per copy, in order.
def replicate(block_factory, n):
    if n == 0:
        return nn.Sequential()
    net = replicate(block_factory, n - 1)
    net.append(block_factory())
    return net
