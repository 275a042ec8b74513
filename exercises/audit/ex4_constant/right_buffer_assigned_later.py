# Buffer slot declared first, tensor assigned afterwards (assignment to a registered buffer keeps it a buffer).
class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("rand_weight", None)
        self.linear = nn.Linear(20, 20)
        self.rand_weight = torch.rand(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = torch.relu(X @ self.rand_weight + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()
