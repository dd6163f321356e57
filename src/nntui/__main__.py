from .cli import main

if __name__ == "__main__":  # the trainer's child process imports this module again under another name
    main()
