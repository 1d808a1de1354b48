module jinn.example/gokv

go 1.21
