from slrt_cli.cli import main

main()
