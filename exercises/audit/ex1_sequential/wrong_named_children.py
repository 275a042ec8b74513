# named_children() de-duplicates like children(): a block passed twice runs once.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        for index, block in enumerate(blocks):
            setattr(self, f"block_{index}", block)

    def forward(self, X):
        for _, block in self.named_children():
            X = block(X)
        return X
