# Looks each position up by its name, block.forward called directly: no hooks fire, still correct.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        self.size = len(blocks)
        for i, block in enumerate(blocks):
            self.add_module(f"step{i}", block)

    def forward(self, X):
        for i in range(self.size):
            X = self.get_submodule(f"step{i}")(X)
        return X
