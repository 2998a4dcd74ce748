import UPQR
print(upqrVersion)
