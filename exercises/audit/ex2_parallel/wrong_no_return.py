# forward joins the outputs but forgets to return them: the call gives None.
class Parallel(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1 = net1
        self.net2 = net2

    def forward(self, X):
        out = torch.cat((self.net1(X), self.net2(X)), dim=-1)
