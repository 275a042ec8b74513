# Registers the buffer but computes with a plain copy kept elsewhere, which .to() leaves behind.
class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        weight = torch.rand(20, 20)
        self.register_buffer("rand_weight", weight)
        self.constants = {"weight": weight}
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.constants["weight"] + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X = X / 2
        return X.sum()
