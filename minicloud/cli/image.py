"""`minicloud image build [--rebuild]`: the Docker mode's node image (minicloud/dockermode/
image.py, built from containers/), built now rather than at the first `up`.

It prints each step and the seconds it took, or that the image for the current source is
built already (then it returns at once). Without a Docker engine it says how to start one.
"""

from __future__ import annotations


def cmd_image(args) -> int:
    # the Docker SDK is imported here: every other command (a node's `node run` too) parses
    # its arguments with this module and must not load it
    from minicloud.dockermode import engine, image

    try:
        client = engine.connect()
        built = image.ensure(client, rebuild=args.rebuild,
                             say=lambda line: print(line, flush=True))
    except (engine.NoEngine, image.ImageError) as exc:
        print(f"minicloud image: {exc}")
        return 1
    if built.cached:
        print(f"{built.tag}: built already ({built.id[7:19]}, {built.size / 1e6:.0f} MB); "
              "--rebuild builds it again")
        return 0
    steps = ", ".join(f"{step} {s} s" for step, s in built.seconds.items())
    print(f"{built.tag}: built ({built.id[7:19]}, {built.size / 1e6:.0f} MB; {steps})")
    return 0


def add_parser(sub) -> None:
    img = sub.add_parser("image", help="the Docker mode's node image (from containers/)")
    actions = img.add_subparsers(dest="image_command", required=True)
    build = actions.add_parser("build", help="build it unless the image for the current "
                                             "source and packages exists")
    build.add_argument("--rebuild", action="store_true", help="build both layers again")
    img.set_defaults(func=cmd_image)
