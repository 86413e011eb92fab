import ReconcilerCommands

await ReconcilerCommand.main()
