"""Reference data: the CBS code list (TR378), product catalogues (TR381), contracts with dated
tariffs (TR418), budget ceilings as contracted, and the deadline calendar."""
