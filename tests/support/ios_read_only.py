"""The requests a read-only iOS host may send, per layer: what the tests hold every iOS session to."""

# What a read-only host sends, per layer; AFC opcodes use pymobiledevice3's names.
IOS_READ_ONLY = {
    "usbmux": {"ListDevices", "Listen", "ReadBUID", "ReadPairRecord", "Connect"},
    "lockdown": {"QueryType", "GetValue", "StartSession", "StopSession", "StartService", "Goodbye"},
    "service": {
        "IORegistry",
        "Goodbye",
        "GetCloudConfiguration",
        "GetProfileList",
        "HelloHostIdentifier",
        "connect",
        "READ_DIR",
        "GET_FILE_INFO",
        "GET_DEVINFO",
        "FILE_OPEN",
        "READ",
        "FILE_CLOSE",
    },
}
