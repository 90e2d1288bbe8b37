from slrt_cli.launch import main

main()
