"""Browser assets of the parameter-tree widget (its ES module and CSS), read and inlined by the widget."""
