"""iJw rules: metadata (`catalogue`), the level-2 engine (`engine`) and its rules (`level2`)."""
