"""The Docker mode's building blocks: each node a container from one image, driven with the
Docker SDK (the `docker` package; this package is named so as not to shadow it).

    engine.py   connect to a Docker engine, or say how to start one
    image.py    the node image (containers/ at the top of the repository), built once and
                found again by a content hash of what went into it: `minicloud image build`

Not here yet: the launcher that starts the nodes as containers on the four networks.
"""
