# Correct, but warns while building (must still earn full marks).
import warnings


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        warnings.warn("FixedHiddenMLP: rand_weight is fixed and never trained")
        self.register_buffer("rand_weight", torch.rand(20, 20), persistent=True)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X = X / 2
        return X.sum()
