# Each factory call inside torch.random.fork_rng(): the generator is restored after every call, so all copies start identical.
def replicate(block_factory, n):
    blocks = []
    for _ in range(n):
        with torch.random.fork_rng():
            blocks.append(block_factory())
    return nn.Sequential(*blocks)
