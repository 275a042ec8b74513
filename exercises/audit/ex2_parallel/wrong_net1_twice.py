# Copy-paste slip: net1 runs twice, net2 never.
class Parallel(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1, self.net2 = net1, net2

    def forward(self, X):
        return torch.cat((self.net1(X), self.net1(X)), dim=-1)
