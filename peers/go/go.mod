module simul/peers/go

go 1.19
