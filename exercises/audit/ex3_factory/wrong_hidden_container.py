# A Sequential subclass that keeps the blocks in a Python list: its children are invisible to parameters().
class Chain(nn.Sequential):
    def __init__(self, blocks):
        super().__init__()
        self.blocks = blocks

    def forward(self, X):
        for block in self.blocks:
            X = block(X)
        return X


def replicate(block_factory, n):
    return Chain([block_factory() for _ in range(n)])
