# A loop that registers each fresh block with add_module.
def replicate(block_factory, n):
    net = nn.Sequential()
    for i in range(n):
        net.add_module(f"copy{i}", block_factory())
    return net
