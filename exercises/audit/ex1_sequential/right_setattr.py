# Blocks registered through setattr under descriptive names.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        self.count = len(blocks)
        for i, block in enumerate(blocks):
            setattr(self, f"block{i}", block)

    def forward(self, X):
        for i in range(self.count):
            X = getattr(self, f"block{i}")(X)
        return X
