# Reseeds before every call: fresh blocks, but all initialised identically.
def replicate(block_factory, n):
    blocks = []
    for _ in range(n):
        torch.manual_seed(0)
        blocks.append(block_factory())
    return nn.Sequential(*blocks)
